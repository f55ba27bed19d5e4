from django.urls import path

from studio.jobs.views import module_page, module_start

urlpatterns = [
    path("control/", module_start, {"module": "control"}, name="control_start"),
    path("control/<uuid:asset_id>/", module_page, {"module": "control"}, name="control"),
]
