from django.urls import path

from . import views

urlpatterns = [
    path("batch/", views.batch_list_view, name="batch_list"),
    path("batch/template/<slug:kind>.csv", views.batch_template, name="batch_template"),
    path("batch/<uuid:batch_id>/", views.batch_detail, name="batch_detail"),
    path("batch/<uuid:batch_id>/approve/", views.batch_approve_view, name="batch_approve"),
    path("batch/<uuid:batch_id>/pause/", views.batch_pause_view, name="batch_pause"),
    path("batch/<uuid:batch_id>/resume/", views.batch_resume_view, name="batch_resume"),
    path("batch/<uuid:batch_id>/cancel/", views.batch_cancel_view, name="batch_cancel"),
    path("batch/<uuid:batch_id>/retry/", views.batch_retry_view, name="batch_retry"),
    path("batch/<uuid:batch_id>/download.zip", views.batch_download, name="batch_download"),
    path("batch/<uuid:batch_id>/report.csv", views.batch_report, name="batch_report"),
]
