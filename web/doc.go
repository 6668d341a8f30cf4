// Package web is Talon's HTTP edge: every fiber route, authentication
// (sessions, API keys, device tokens), the mapping of domain errors to HTTP
// statuses with messages in Russian or English, the generated OpenAPI
// document, websockets and the embedded pages. Handlers parse, authenticate,
// make one call to package queue (which checks roles and rules) and render.
package web
