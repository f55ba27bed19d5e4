from django.urls import path

from . import views

app_name = "billing"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("usage.csv", views.usage_csv, name="usage_csv"),
    path("packs/<slug:slug>/checkout/", views.checkout_pack, name="checkout_pack"),
    path("plans/<slug:slug>/choose/", views.choose_plan, name="choose_plan"),
    path("webhook/stripe/", views.stripe_webhook, name="stripe_webhook"),
]
