"""Gateway routes, one module per area; ``gateway.service.GatewayService`` combines them."""
