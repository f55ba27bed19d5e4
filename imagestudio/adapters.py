from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return settings.ACCOUNT_SIGNUP_OPEN

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """Failed sign-ins are counted per client *and* account.

        allauth counts them per account alone, so anyone who knows an address could lock
        its owner out for minutes, even from the owner's own fresh session. Keyed by the
        client address (``REMOTE_ADDR``, already resolved behind a trusted proxy) as well,
        a guesser only locks out themselves; the per-client limit on all sign-ins still
        caps how fast one client can try many accounts.
        """
        account = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{self.get_client_ip(request)}|{account}"
