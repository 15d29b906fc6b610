// Swagger UI on the gateway's own spec. showExtensions displays each operation's x-access (who
// may call it) and x-personal-data; "Try it out" calls this gateway with the token given under
// "Authorize".
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    showExtensions: true,
    docExpansion: "none",
    defaultModelsExpandDepth: 0,
    displayRequestDuration: true,
    filter: true,
    tryItOutEnabled: false,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
