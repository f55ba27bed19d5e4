from django.urls import path

from . import views

urlpatterns = [
    path("create/", views.create_page, name="create"),
    path("create/advanced/", views.create_advanced, name="create_advanced"),
    path("create/recommend/", views.create_recommend, name="create_recommend"),
    path("create/enhance/", views.create_enhance, name="create_enhance"),
    path("personas/", views.persona_list, name="persona_list"),
    path("personas/new/", views.persona_edit, name="persona_new"),
    path("personas/<uuid:persona_id>/", views.persona_edit, name="persona_edit"),
    path("personas/<uuid:persona_id>/delete/", views.persona_delete, name="persona_delete"),
]
