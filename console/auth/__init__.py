"""Password sign-in, server-side sessions, CSRF and the sign-in audit (登录与会话)."""
