"""A JSON parser that answers 400 to JSON nested too deeply, instead of a server error."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32  # the API's deepest body (an interception with its people) is 3 levels


def _too_deep(data, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus: a body nested deeper than MAX_DEPTH levels (or so deep that Python's parser
    gives up with RecursionError) is a ParseError (400) with a clear message."""

    max_depth = MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        message = f"JSON parse error - the body is nested more than {self.max_depth} levels deep."
        try:
            data = super().parse(stream, media_type=media_type, parser_context=parser_context)
        except RecursionError:
            raise ParseError(message) from None
        if _too_deep(data, self.max_depth):
            raise ParseError(message)
        return data
