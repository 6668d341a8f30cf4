package web

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/talon-queue/talon/queue"
)

// Error codes of the web edge itself; the domain's are in package queue.
const (
	codeRouteNotFound    = "route_not_found"
	codeMethodNotAllowed = "method_not_allowed"
	codeBodyTooLarge     = "body_too_large"
	codeCSRF             = "csrf_failed"
	codeInternal         = "internal_error"
)

//go:embed i18n/*.json
var i18nFS embed.FS

// langs are the languages of messages, the first is the default.
var langs = []string{"ru", "en"}

// catalog maps language → key → message. Keys: "error.<code>", "rule.<rule>".
type catalog map[string]map[string]string

func loadCatalog() (catalog, error) {
	c := catalog{}
	for _, l := range langs {
		b, err := i18nFS.ReadFile("i18n/" + l + ".json")
		if err != nil {
			return nil, fmt.Errorf("web: i18n %s: %w", l, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("web: i18n %s: %w", l, err)
		}
		c[l] = m
	}
	return c, nil
}

// text returns the message for key in lang with {param} placeholders filled.
func (c catalog) text(lang, key string, params map[string]string) string {
	msg, ok := c[lang][key]
	if !ok {
		msg = c[langs[0]][key]
	}
	if msg == "" {
		return key
	}
	for k, v := range params {
		if name := params[k+"_"+lang]; name != "" {
			v = name // the name in the caller's language (service_en…)
		} else if word := c[lang]["value."+k+"."+v]; word != "" {
			v = word // a code said in words (status, purpose)
		}
		msg = strings.ReplaceAll(msg, "{"+k+"}", v)
	}
	if strings.Contains(msg, "{") {
		msg = unfilled.ReplaceAllString(msg, "")
	}
	return msg
}

// unfilled matches a placeholder the error gave no value for, with the
// quotes or brackets around it, so that a message never shows "{window}".
var unfilled = regexp.MustCompile(` ?[«“(]?\{[a-z_]+\}[»”)]?`)

// message is the human message of an error code with its params in lang.
func (c catalog) message(lang, code string, params map[string]string) string {
	if code == queue.CodeInvalidField && params != nil {
		p := map[string]string{"field": params["field"], "rule": c.text(lang, ruleKey(params["rule"], params), params)}
		return c.text(lang, "error."+code, p)
	}
	return c.text(lang, "error."+code, params)
}

var sharedCatalog = sync.OnceValues(loadCatalog)

// Describe returns the message the API would answer a domain error with, in
// lang ("ru" or "en"), for tools that report such errors without a server
// (talon config import on a data directory). It is false for other errors.
func Describe(err error, lang string) (string, bool) {
	var qe *queue.Error
	if !errors.As(err, &qe) {
		return "", false
	}
	c, cerr := sharedCatalog()
	if cerr != nil {
		return "", false
	}
	return c.message(lang, qe.Code, qe.Params), true
}

// ruleKey picks the message of a validation rule that fits the limits given.
func ruleKey(rule string, params map[string]string) string {
	if rule == queue.RuleRange {
		_, hasMin := params["min"]
		_, hasMax := params["max"]
		switch {
		case hasMax && !hasMin:
			return "rule." + rule + ".max"
		case hasMin && !hasMax:
			return "rule." + rule + ".min"
		case !hasMin && !hasMax: // a range that is not a pair of numbers (a time, a date order)
			return "rule." + rule + ".any"
		}
	}
	return "rule." + rule
}

// lang picks the caller's language from Accept-Language (q-values honoured);
// Russian when nothing matches.
func lang(c *fiber.Ctx) string {
	best, bestQ := langs[0], -1.0
	for _, part := range strings.Split(c.Get(fiber.HeaderAcceptLanguage), ",") {
		tag, q := strings.TrimSpace(part), 1.0
		if i := strings.IndexByte(tag, ';'); i >= 0 {
			if _, err := fmt.Sscanf(strings.TrimSpace(tag[i+1:]), "q=%g", &q); err != nil {
				q = 0
			}
			tag = strings.TrimSpace(tag[:i])
		}
		tag = strings.ToLower(tag)
		if i := strings.IndexByte(tag, '-'); i >= 0 {
			tag = tag[:i]
		}
		for _, l := range langs {
			if tag == l && q > bestQ {
				best, bestQ = l, q
			}
		}
	}
	return best
}

// ErrorBody is the body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a machine-readable code and a human message.
type ErrorDetail struct {
	Code    string            `json:"code" doc:"stable machine-readable code"`
	Message string            `json:"message" doc:"human message in the language of Accept-Language (ru or en)"`
	Params  map[string]string `json:"params,omitempty" doc:"values the message is built from, e.g. field and rule of invalid_field; a name also in English as service_en, office_en, category_en when it has one"`
}

func statusOf(k queue.Kind) int {
	switch k {
	case queue.KindInvalid:
		return http.StatusBadRequest
	case queue.KindUnauthorized:
		return http.StatusUnauthorized
	case queue.KindForbidden:
		return http.StatusForbidden
	case queue.KindNotFound:
		return http.StatusNotFound
	case queue.KindConflict:
		return http.StatusConflict
	case queue.KindTooMany:
		return http.StatusTooManyRequests
	case queue.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// handleError is fiber's error handler: the one place errors become responses.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	var qe *queue.Error
	var fe *fiber.Error
	status, code, params := http.StatusInternalServerError, codeInternal, map[string]string(nil)
	switch {
	case errors.As(err, &qe):
		status, code, params = statusOf(qe.Kind), qe.Code, qe.Params
	case errors.As(err, &fe):
		status = fe.Code
		switch fe.Code {
		case http.StatusNotFound:
			code = codeRouteNotFound
		case http.StatusMethodNotAllowed:
			code = codeMethodNotAllowed
		case http.StatusRequestEntityTooLarge:
			code = codeBodyTooLarge
		case http.StatusBadRequest:
			code = queue.CodeInvalidRequest
		default:
			if fe.Code < 500 {
				code = queue.CodeInvalidRequest
			} else {
				status = http.StatusInternalServerError
			}
		}
	}
	if status >= 500 && status != http.StatusServiceUnavailable {
		s.log.Error("request failed", "method", c.Method(), "path", c.Route().Path, "err", err)
	}
	l := lang(c)
	msg := s.msgs.message(l, code, params)
	if status == http.StatusUnauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="talon"`)
	}
	c.Set(fiber.HeaderContentLanguage, l)
	return c.Status(status).JSON(ErrorBody{Error: ErrorDetail{Code: code, Message: msg, Params: params}})
}
