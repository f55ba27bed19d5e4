"""The studio's URLs: the home page, the job pipeline's pages and each module's own.

Module url modules have no ``app_name``: their names live in the ``studio`` namespace.
"""

from django.urls import include, path

from . import views

app_name = "studio"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("", include("studio.jobs.urls")),
    path("", include("studio.create.urls")),
    path("", include("studio.edit.urls")),
    path("", include("studio.upscale.urls")),
    path("", include("studio.control.urls")),
    path("", include("studio.transform.urls")),
    path("", include("studio.social.urls")),
    path("", include("studio.tools.urls")),
    path("", include("studio.batch.urls")),
]
