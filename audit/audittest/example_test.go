package audittest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/unioneyes/authkit/audit"
	"github.com/unioneyes/authkit/audit/audittest"
)

// A Recorder captures the records of requests in a test, here to check
// what an authentication middleware annotated.
func ExampleRecorder() {
	requireAPIKey := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Api-Key") == "" {
				audit.Annotate(r.Context(), func(rec *audit.Record) {
					rec.AuthOutcome = audit.AuthFailure
					rec.AuthFailure = "myauth: missing api key"
				})
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}

	var rec audittest.Recorder
	auditor, err := audit.New(audit.Config{Sink: &rec})
	if err != nil {
		fmt.Println(err)
		return
	}
	handler := auditor.Handler(requireAPIKey(http.NotFoundHandler()))
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/reports", nil))

	r, _ := rec.Last()
	fmt.Println(r.Status, r.AuthOutcome, r.AuthFailure)
	// Output:
	// 401 failure myauth: missing api key
}

// RecordMap shows a record the way a conforming sink emits it.
func ExampleRecordMap() {
	m := audittest.RecordMap(&audit.Record{Method: "GET", Path: "/", Status: 200, UserID: "user_1"})
	fmt.Println(m["http.request.method"], m["http.response.status_code"], m["user.id"], len(m))
	// Output:
	// GET 200 user_1 6
}
