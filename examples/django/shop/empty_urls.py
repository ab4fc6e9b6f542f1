# A project that configured no URLs yet: with DEBUG on, Django answers "/"
# with its "The install worked successfully!" page, and status 200.
urlpatterns = []
