package authtest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/execauth/execauth/authtest"
	"github.com/execauth/execauth/token"
)

func Example() {
	// runTest stands in for a test function: an Example has no *testing.T.
	runTest(func(t testing.TB) {
		iss := authtest.NewIssuer(t)
		ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
		h := iss.Middleware(t)(ok) // execution tokens only
		task := uuid.New()

		for _, tok := range []token.Raw{
			iss.Execution(t, task),
			iss.Workload(t, task),                      // a class the route does not accept
			iss.Execution(t, task, authtest.Expired()), // expired beyond any leeway
		} {
			req := httptest.NewRequest(http.MethodGet, "/task-instances/"+task.String(), nil)
			req.Header.Set("Authorization", "Bearer "+string(tok))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			fmt.Println(rec.Code)
		}
	})
	// Output:
	// 200
	// 403
	// 401
}

func ExampleWithClasses() {
	runTest(func(t testing.TB) {
		// The host registers Airflow's per-file parse class.
		classes, err := token.NewClasses(token.Class{Name: "dag_parse", TTL: 5 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		iss := authtest.NewIssuer(t, authtest.WithClasses(classes))
		ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
		h := iss.Middleware(t, "dag_parse")(ok)

		for _, tok := range []token.Raw{
			iss.Mint(t, "dag_parse", "dag-processor"),
			iss.Processor(t, "dag-processor"),                                           // a class the route does not accept
			iss.Mint(t, "dag_parse", "dag-processor", authtest.Lifetime(6*time.Minute)), // past the class's maximum
		} {
			req := httptest.NewRequest(http.MethodGet, "/connections/db", nil)
			req.Header.Set("Authorization", "Bearer "+string(tok))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			fmt.Println(rec.Code)
		}
	})
	// Output:
	// 200
	// 403
	// 401
}
