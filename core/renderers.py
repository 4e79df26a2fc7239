"""The API's JSON renderer: orjson (drf-orjson-renderer), several times faster than the standard library's
encoder, writing the same JSON as DRF's JSONRenderer did.

orjson encodes str, int, float, bool, None, dict, list, tuple, UUID, dates and their subclasses itself
(ErrorDetail, ReturnDict, ReturnList...). What it does not know (lazy translations, Decimals, timedeltas,
querysets...) goes to DRF's own encoder, so those read as before; datetimes go there too (DRF writes UTC as
"Z", orjson as "+00:00"), and keys that are not strings become strings as `json.dumps` makes them."""

import orjson
from drf_orjson_renderer.renderers import ORJSONRenderer as BaseORJSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_drf = JSONEncoder()


class ORJSONRenderer(BaseORJSONRenderer):
    options = BaseORJSONRenderer.options | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS

    @staticmethod
    def default(obj):
        return _drf.default(obj)
