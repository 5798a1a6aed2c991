"""The HTTP floor that the API and the console both stand on: cookies, who the client is, the caller's session,
errors as HTTP answers, and the middleware. It imports neither `api` nor `web`."""
