from django.urls import path

from vsis.reports import views

app_name = "reports"

urlpatterns = [
    path("age/", views.age_report, name="age"),
    path("service/", views.service_report, name="service"),
    path("units/", views.unit_options, name="units"),
    path("<str:kind>/chart/", views.report_chart, name="chart"),
]
