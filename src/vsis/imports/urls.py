from django.urls import path

from vsis.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("<int:pk>/", views.batch_detail, name="batch"),
]
