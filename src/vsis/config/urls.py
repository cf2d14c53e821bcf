from django.urls import include, path

from vsis.web.admin_site import vsis_admin

urlpatterns = [
    path("admin/", vsis_admin.urls),
    path("imports/", include("vsis.imports.urls")),
    path("reports/", include("vsis.reports.urls")),
    path("jobs/", include("vsis.jobs.urls")),
    path("returns/", include("vsis.returns.urls")),
    path("", include("vsis.web.urls")),
]
