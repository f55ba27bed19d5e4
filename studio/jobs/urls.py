from django.urls import path

from . import staff_views, views

urlpatterns = [
    path("jobs/", views.job_list_view, name="job_list"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<uuid:job_id>/cancel/", views.job_cancel_view, name="job_cancel"),
    path("jobs/<uuid:job_id>/retry/", views.job_retry_view, name="job_retry"),
    path("jobs/<uuid:job_id>/download.zip", views.job_download, name="job_download"),
    path("assets/<uuid:asset_id>/run/<str:op_key>/", views.operation, name="operation"),
    path("staff/providers/", staff_views.provider_status, name="provider_status"),
    path(
        "staff/providers/balances/",
        staff_views.provider_balances_refresh,
        name="provider_balances_refresh",
    ),
]
