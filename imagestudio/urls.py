from django.contrib import admin
from django.urls import include, path

from .health import health

admin.site.site_header = "Image Studio administration"
admin.site.site_title = "Image Studio admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("health/", health, name="health"),
    path("library/", include("assets.urls")),
    path("billing/", include("billing.urls")),
    path("s/", include("assets.share_urls")),
    path("", include("studio.urls")),
]
