"""No ID number or card number reaches a log line in clear."""

import io
import json
import logging

from shared.observability import JsonFormatter, PersonalDataMask


def logged(message: str, *args: object, exc: BaseException | None = None) -> dict:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(PersonalDataMask())
    logger = logging.getLogger("test.mask")
    logger.handlers[:] = [handler]
    logger.propagate = False
    if exc:
        try:
            raise exc
        except type(exc):
            logger.exception(message, *args)
    else:
        logger.warning(message, *args)
    return json.loads(stream.getvalue())


def test_access_log_paths_and_arguments_are_masked():
    line = logged('"GET /api/v1/registry/residents/21010219900307123X HTTP/1.1" 200 %s', 512)
    assert line["message"] == '"GET /api/v1/registry/residents/210102********123X HTTP/1.1" 200 512'
    line = logged("card %s checked", "2101000000000012")
    assert line["message"] == "card 210100********12 checked"


def test_tracebacks_are_masked_and_other_numbers_kept():
    line = logged("failed", exc=ValueError("no such resident 210102199003071233"))
    assert "210102199003071233" not in line["exc"]
    assert "210102********1233" in line["exc"]
    ids = "request 0c1f9c076bab48c893ea77c17d5b17ad took 1234567 ms"
    assert logged(ids)["message"] == ids
