"""API token authentication: django-rest-knox, with one query per request."""

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.signals import token_expired


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's token check (SHA-512 digest, constant-time compare, expiry), without the extra query knox
    makes on every request to purge the user's *other* expired tokens. An expired token is refused (and
    deleted) whenever it is presented, so the others are never accepted either; `revoke_tokens` removes
    them."""

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of these tokens (`Authorization: Token <token>`), as for DRF's tokens."""

    target_class = "accounts.authentication.TokenAuthentication"
    name = "tokenAuth"
