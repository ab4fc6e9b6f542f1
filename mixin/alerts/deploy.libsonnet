// Alerts on what a deploy leaves behind: static files that do not load,
// a release that differs between the web and the workers (group
// django-deploy). The deploy-truth work (issue 24) fills it; while it is
// empty the group is not written, so the built rules do not change.
{
  deployAlertRules:: [],
}
