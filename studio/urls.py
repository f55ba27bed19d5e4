from django.urls import path

from . import create_views, staff_views, views

app_name = "studio"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
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
    path("create/", create_views.create_page, name="create"),
    path("create/advanced/", create_views.create_advanced, name="create_advanced"),
    path("create/recommend/", create_views.create_recommend, name="create_recommend"),
    path("create/enhance/", create_views.create_enhance, name="create_enhance"),
    path("personas/", create_views.persona_list, name="persona_list"),
    path("personas/new/", create_views.persona_edit, name="persona_new"),
    path("personas/<uuid:persona_id>/", create_views.persona_edit, name="persona_edit"),
    path("personas/<uuid:persona_id>/delete/", create_views.persona_delete, name="persona_delete"),
    path("social/", views.social_start, name="social_start"),
    path("social/<uuid:asset_id>/", views.social, name="social"),
]
