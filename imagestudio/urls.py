from django.contrib import admin
from django.urls import include, path

from . import views
from .health import health, health_deep

admin.site.site_header = "Image Studio administration"
admin.site.site_title = "Image Studio admin"

urlpatterns = [
    # Before the admin's own URLs, so staff sign-in goes through the attempt limits.
    path("admin/login/", views.admin_login, name="admin_login_limited"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("health/", health, name="health"),
    path("health/deep/", health_deep, name="health_deep"),
    path("csp-report/", views.csp_report, name="csp_report"),
    path("library/", include("assets.urls")),
    path("billing/", include("billing.urls")),
    path("s/", include("assets.share_urls")),
    path("", include("studio.urls")),
]
