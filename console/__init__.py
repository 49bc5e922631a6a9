"""The people's side (人员端): sign-in, roles, the unit portal (承办单位) and the supervisor and admin pages."""
