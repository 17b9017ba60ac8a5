// The Go SDK (go.temporal.io/sdk: grpc-go over crypto/tls) doing real work over mutual TLS.
//
//	"$(scripts/go-client.sh)" --address HOST:PORT --server-name NAME --ca ROOTS.pem --cert CHAIN.pem
//	     --key KEY.pkcs8.pem --task-queue Q [--namespace default] [--timeout SECONDS]
//
// The tls.Config is built here from exactly these files: RootCAs holds only the --ca certificates (not the system's
// roots), the client presents the --cert chain with the --key (PKCS#8 or any PEM key crypto/tls reads), ServerName is
// --server-name, so SNI, the certificate's host check and :authority all use it while the socket goes to --address,
// and nothing older than TLS 1.2 is offered. crypto/tls reads no PKCS#12, so there is no --pfx here. It starts a
// worker on the task queue, runs one workflow that calls one activity, stops the worker and prints one JSON line:
// {"ok": true, "client": "go", "workflow_id": ..., "result": ...} (exit 0) or
// {"ok": false, "client": "go", "error": ...} (exit 1). The whole run is bounded by --timeout (default 60).
// The SDK's own log goes to stderr, warnings and errors only: stdout carries the one line.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/grpc"
)

const clientName = "go"

// greet is the activity: it runs in the worker, outside the workflow's replay.
func greet(ctx context.Context, name string) (string, error) {
	return "hello " + name + " from " + clientName, nil
}

// greeting is the workflow: one activity, its result returned as the workflow's.
func greeting(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	var result string
	err := workflow.ExecuteActivity(ctx, greet, name).Get(ctx, &result)
	return result, err
}

type options struct {
	address, namespace, serverName, ca, cert, key, taskQueue string
	timeout                                                  time.Duration
}

// parse reads the flags; flag.ErrHelp comes back for --help, after the usage went to stderr.
func parse(argv []string) (options, error) {
	var opts options
	var seconds float64
	flags := flag.NewFlagSet("go-worker", flag.ContinueOnError)
	flags.SetOutput(os.Stderr)
	flags.StringVar(&opts.address, "address", "", "the frontend's HOST:PORT, where the socket goes (required)")
	flags.StringVar(&opts.namespace, "namespace", "default", "the namespace")
	flags.StringVar(&opts.serverName, "server-name", "", "the name the frontend's certificate must hold: SNI, host check, :authority (required)")
	flags.StringVar(&opts.ca, "ca", "", "PEM file of the roots to trust for the frontend, and nothing else (required)")
	flags.StringVar(&opts.cert, "cert", "", "PEM file of the client certificate chain, leaf first (required)")
	flags.StringVar(&opts.key, "key", "", "PEM file of the client's private key (required)")
	flags.StringVar(&opts.taskQueue, "task-queue", "", "the task queue of the worker and the workflow (required)")
	flags.Float64Var(&seconds, "timeout", 60, "seconds the whole run may take, in (0, 600]")
	if err := flags.Parse(argv); err != nil {
		return opts, err
	}
	if flags.NArg() > 0 {
		return opts, fmt.Errorf("unexpected argument %q", flags.Arg(0))
	}
	required := []struct{ name, value string }{
		{"address", opts.address}, {"server-name", opts.serverName}, {"ca", opts.ca},
		{"cert", opts.cert}, {"key", opts.key}, {"task-queue", opts.taskQueue},
	}
	for _, r := range required {
		if r.value == "" {
			return opts, fmt.Errorf("--%s is required", r.name)
		}
	}
	if opts.namespace == "" {
		opts.namespace = "default"
	}
	if !(seconds > 0 && seconds <= 600) {
		return opts, errors.New("--timeout must be in (0, 600] seconds")
	}
	opts.timeout = time.Duration(seconds * float64(time.Second))
	return opts, nil
}

func tlsConfig(opts options) (*tls.Config, error) {
	pem, err := os.ReadFile(opts.ca)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", opts.ca)
	}
	pair, err := tls.LoadX509KeyPair(opts.cert, opts.key)
	if err != nil {
		return nil, fmt.Errorf("the client certificate %s with the key %s: %w", opts.cert, opts.key, err)
	}
	return &tls.Config{
		RootCAs:      roots,
		Certificates: []tls.Certificate{pair},
		ServerName:   opts.serverName,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// stage is what the run was doing, for the error when the deadline cuts it short.
var stage = struct {
	sync.Mutex
	text string
}{text: "building the TLS config"}

func setStage(format string, args ...any) {
	stage.Lock()
	defer stage.Unlock()
	stage.text = fmt.Sprintf(format, args...)
}

func currentStage() string {
	stage.Lock()
	defer stage.Unlock()
	return stage.text
}

type outcome struct {
	workflowID, result string
}

func work(opts options, deadline time.Time) (outcome, error) {
	config, err := tlsConfig(opts)
	if err != nil {
		return outcome{}, err
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	// The connection's own failure names the cause (refused, handshake, certificate); four fifths of the budget
	// lets it arrive before the run's deadline, which can only say that time ran out.
	dialCtx, dialCancel := context.WithTimeout(ctx, time.Until(deadline)*4/5)
	defer dialCancel()
	setStage("connecting to %s as %s", opts.address, opts.serverName)
	c, err := client.DialContext(dialCtx, client.Options{
		HostPort:  opts.address,
		Namespace: opts.namespace,
		Logger:    tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		ConnectionOptions: client.ConnectionOptions{
			TLS: config,
			// The SDK sets :authority only without TLS; the certificate names the service, not the address dialled.
			DialOptions: []grpc.DialOption{grpc.WithAuthority(opts.serverName)},
		},
	})
	if err != nil {
		return outcome{}, err
	}
	defer c.Close()
	w := worker.New(c, opts.taskQueue, worker.Options{})
	w.RegisterWorkflow(greeting)
	w.RegisterActivity(greet)
	setStage("starting the worker on %s", opts.taskQueue)
	if err := w.Start(); err != nil {
		return outcome{}, err
	}
	workflowID := fmt.Sprintf("%s-%d", opts.taskQueue, time.Now().UnixNano())
	result, err := func() (string, error) {
		defer func() {
			setStage("shutting the worker down")
			w.Stop()
		}()
		setStage("running workflow %s", workflowID)
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID:                       workflowID,
			TaskQueue:                opts.taskQueue,
			WorkflowExecutionTimeout: opts.timeout,
		}, greeting, opts.taskQueue)
		if err != nil {
			return "", err
		}
		var result string
		err = run.Get(ctx, &result)
		return result, err
	}()
	if err != nil {
		return outcome{}, err
	}
	expected := "hello " + opts.taskQueue + " from " + clientName
	if result != expected {
		return outcome{}, fmt.Errorf("the workflow returned %q, not %q", result, expected)
	}
	return outcome{workflowID: workflowID, result: result}, nil
}

// typeName is the error's type as the code names it (serviceerror.Unavailable), without the pointer; the plain
// errors of errors.New and fmt.Errorf are just "error".
func typeName(err error) string {
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == "" || t.PkgPath() == "errors" || t.PkgPath() == "fmt" {
		return "error"
	}
	return t.String()
}

// describe names the error and each wrapped cause whose message its wrapper's does not already carry: the SDK
// wraps the TLS or server verdict that explains a failure. A plain wrapper (fmt.Errorf) takes the name of the first
// typed error it wraps, such as the serviceerror the connection failed with.
func describe(err error) string {
	name := typeName(err)
	for cause := errors.Unwrap(err); name == "error" && cause != nil; cause = errors.Unwrap(cause) {
		name = typeName(cause)
	}
	text := name + ": " + err.Error()
	for cause := errors.Unwrap(err); cause != nil && len(text) < 2000; cause = errors.Unwrap(cause) {
		if message := cause.Error(); !strings.Contains(text, message) {
			text += " (cause: " + typeName(cause) + ": " + message + ")"
		}
	}
	if runes := []rune(text); len(runes) > 2000 {
		text = string(runes[:2000])
	}
	return text
}

// finish prints the one line and exits; the SDK's pollers and connections may still be winding down, and the
// printed line is the result.
func finish(ok bool, fields ...string) {
	line := map[string]any{"ok": ok, "client": clientName}
	for i := 0; i+1 < len(fields); i += 2 {
		line[fields[i]] = fields[i+1]
	}
	if err := json.NewEncoder(os.Stdout).Encode(line); err != nil {
		os.Exit(2)
	}
	if ok {
		os.Exit(0)
	}
	os.Exit(1)
}

func main() {
	opts, err := parse(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		finish(false, "error", describe(err))
	}
	deadline := time.Now().Add(opts.timeout)
	type verdict struct {
		out outcome
		err error
	}
	done := make(chan verdict, 1)
	go func() {
		out, err := work(opts, deadline)
		done <- verdict{out, err}
	}()
	// Without a verdict by the deadline the process must not linger on the SDK's retries.
	timer := time.NewTimer(opts.timeout)
	select {
	case v := <-done:
		if v.err != nil {
			finish(false, "error", describe(v.err))
		}
		finish(true, "workflow_id", v.out.workflowID, "result", v.out.result)
	case <-timer.C:
		finish(false, "error", fmt.Sprintf("TimeoutError: no result within %g s (%s)", opts.timeout.Seconds(), currentStage()))
	}
}
