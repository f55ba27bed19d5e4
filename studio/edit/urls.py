from django.urls import path

from studio.jobs.views import module_page, module_start

urlpatterns = [
    path("edit/", module_start, {"module": "edit"}, name="edit_start"),
    path("edit/<uuid:asset_id>/", module_page, {"module": "edit"}, name="edit"),
]
