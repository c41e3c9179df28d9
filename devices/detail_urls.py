"""URLs of one device's pages: detail, actions, create/edit/delete, maintenance, scheduled operations."""

urlpatterns = []
