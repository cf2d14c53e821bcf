from django.urls import path

from vsis.web.views import placeholder

app_name = "jobs"

urlpatterns = [
    path("", placeholder("工作清單"), name="list"),
]
