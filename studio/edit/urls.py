from django.urls import path

from studio.jobs.views import module_page, module_start

from . import views

urlpatterns = [
    path("edit/", module_start, {"module": "edit"}, name="edit_start"),
    path("edit/<uuid:asset_id>/", module_page, {"module": "edit"}, name="edit"),
    path("edit/<uuid:asset_id>/subject-mask/", views.subject_mask, name="edit_subject_mask"),
    path("edit/jobs/<uuid:job_id>/mask/", views.job_mask, name="edit_job_mask"),
]
