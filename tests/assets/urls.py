"""The project's URLs, plus the public share pages when the root URLconf lacks them.

The share pages live in ``assets.share_urls`` and belong at ``/s/`` in the root URLconf;
tests mount them here so they run whether or not that line is in place yet.
"""

from django.urls import include, path

from imagestudio.urls import urlpatterns as project_urlpatterns

_has_share = any(getattr(p, "namespace", None) == "share" for p in project_urlpatterns)

urlpatterns = [*project_urlpatterns]
if not _has_share:
    urlpatterns.append(path("s/", include("assets.share_urls")))
