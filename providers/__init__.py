"""AI providers and the offline local engine behind one interface.

A plain package: nothing here touches the ORM, the request or credits. Callers build a
:class:`providers.base.ProviderRequest`, pick a provider through :mod:`providers.registry`
and get a :class:`providers.base.ProviderResult` back, or one of the errors in
:mod:`providers.base`.
"""
