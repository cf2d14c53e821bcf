from django.urls import path

from vsis.jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("fragment/", views.job_fragment, name="fragment"),
    path("<int:pk>/cancel/", views.job_cancel, name="cancel"),
    path("<int:pk>/files/<int:file_id>/", views.job_download, name="download"),
]
