package localaws

import (
	"encoding/json"
	"net/http"
)

// registerAdmin serves the test-control endpoints under /_localaws/:
//
//	GET    /_localaws/health           200 when serving
//	GET    /_localaws/faults           active faults
//	POST   /_localaws/faults           add a fault (JSON Fault), returns {"id"}
//	DELETE /_localaws/faults[?id=ID]   remove one fault or all
//	GET    /_localaws/requests         the request log
//	DELETE /_localaws/requests         empty the request log
//	GET    /_localaws/quotas           the quota table enforced (quota mode)
//
// Services add their own routes (e.g. stopping an instance's PostgreSQL).
func (s *Server) registerAdmin() {
	s.admin.HandleFunc("GET /_localaws/health", func(w http.ResponseWriter, r *http.Request) {
		writeAdminJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.admin.HandleFunc("GET /_localaws/faults", func(w http.ResponseWriter, r *http.Request) {
		writeAdminJSON(w, http.StatusOK, s.faults.List())
	})
	s.admin.HandleFunc("POST /_localaws/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": "fault is not valid JSON: " + err.Error()})
			return
		}
		writeAdminJSON(w, http.StatusOK, map[string]string{"id": s.faults.Add(f)})
	})
	s.admin.HandleFunc("DELETE /_localaws/faults", func(w http.ResponseWriter, r *http.Request) {
		if id := r.URL.Query().Get("id"); id != "" {
			s.faults.Remove(id)
		} else {
			s.faults.Clear()
		}
		w.WriteHeader(http.StatusNoContent)
	})
	s.admin.HandleFunc("GET /_localaws/requests", func(w http.ResponseWriter, r *http.Request) {
		writeAdminJSON(w, http.StatusOK, s.requests.Entries())
	})
	s.admin.HandleFunc("DELETE /_localaws/requests", func(w http.ResponseWriter, r *http.Request) {
		s.requests.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	s.admin.HandleFunc("GET /_localaws/quotas", func(w http.ResponseWriter, r *http.Request) {
		table := s.QuotaTable()
		writeAdminJSON(w, http.StatusOK, map[string]any{"enabled": table != nil, "families": table})
	})
	s.registerRDSAdmin(s.admin)
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
