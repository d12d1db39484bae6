// Package ratelimit keeps one replica's clients within budgets and sheds load
// it cannot carry: per client address in front of everything (Middleware),
// strict for the sign-in procedures with growing delays after failed logins
// and per account after authentication (Guard's interceptors), and bounded
// concurrency for the expensive classes (Slots).
//
// Every table lives in this process's memory: with N replicas behind a load
// balancer each counts alone, so the effective limit is N times the
// configured one. Refusals are resource_exhausted (a budget is spent) or
// unavailable (the server is busy), each with a google.rpc.RetryInfo detail;
// plain HTTP paths get 429 or 503 with Retry-After.
package ratelimit
