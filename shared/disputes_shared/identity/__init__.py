"""Who is calling: staff sign in with an OpenID Connect provider's bearer tokens (JWT), and a
table of roles says which commands each may use. Plain Python on PyJWT; no nameko."""
