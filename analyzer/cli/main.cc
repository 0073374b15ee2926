// SPDX-License-Identifier: Apache-2.0
//
// The etiolog command line. Parses options with Boost.Program_options (its
// exceptions are caught here and only here: usage errors exit 2) and hands
// over to analyzer/cli/commands.h.

#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "analyzer/cli/commands.h"
#include "analyzer/cli/exit_codes.h"
#include "analyzer/tail/tail.h"
#include "ingest/input_set.h"
#include "ingest/time_zone.h"

namespace po = boost::program_options;
using etiolog::analyzer::kExitFatal;
using etiolog::analyzer::kExitUsage;

namespace {

const char kUsage[] =
    "etiolog: finds why Airflow JWT tokens fail, from the logs.\n"
    "\n"
    "Usage: etiolog <command> [options]\n"
    "\n"
    "Commands:\n"
    "  analyze PATH...   read log files or directories, print the diagnosis\n"
    "  report --db STORE render the findings a store holds again, in any format, to\n"
    "                    stdout, a ticket directory or an HTTP endpoint\n"
    "  tail PATH|GLOB... follow live logs (rotation-safe) and print findings as they\n"
    "                    appear or change\n"
    "  status FILE       say whether a 'tail --status-file FILE' is alive and how far\n"
    "                    behind it is (exit 1 if stopped or stale: a health check)\n"
    "  events PATH...    print every event the rules find, one per line\n"
    "  explain [CAUSE]   what a cause means, the evidence it looks for, what to collect\n"
    "                    and its fix (without CAUSE: every cause and risk)\n"
    "  rules test|lint|list [PACK...]\n"
    "                    check rule packs: run their examples, lint them, list rules\n"
    "\n"
    "Run 'etiolog <command> --help' for the options of a command.\n"
    "Exit codes: 0 done, 1 finding (with --fail-on-finding), 2 usage error,\n"
    "3 some inputs unreadable (rest analysed), 4 fatal, 5 some findings not\n"
    "delivered to --to or --post (the rest were).\n";

// Where findings go and in which form (analyze and report alike). The
// strings are parsed by FinishOutputOptions.
struct OutputArgs {
  std::string format = "text";
  std::vector<std::string> headers;
};

void AddOutputOptions(po::options_description* desc, etiolog::analyzer::OutputOptions* opt,
                      OutputArgs* args) {
  desc->add_options()("format,f", po::value(&args->format)->default_value("text"),
                      "output format: text, json, markdown, github (GitHub issue payload) or jira "
                      "(Jira issue payload); without it: text, markdown with --to, json with "
                      "--post")("cause", po::value(&opt->cause), "only findings of this cause id")(
      "to", po::value(&opt->to_dir),
      "write one file per finding, named by its fingerprint, into this ticket directory, with "
      "an index.json (a rerun updates files instead of adding new ones)")(
      "prune", po::bool_switch(&opt->prune),
      "with --to: delete the files of findings no longer reported (default: keep them, marked "
      "resolved in the index)")("post", po::value(&opt->post.url),
                                "POST each finding (format json, github or jira) to this "
                                "http(s) URL")(
      "header,H", po::value(&args->headers)->composing(),
      "with --post: add the request header 'Name: value' (e.g. Authorization); @FILE reads "
      "headers from FILE, one per line, to keep tokens off the command line; repeatable")(
      "connect-timeout", po::value(&opt->post.connect_timeout_s)->default_value(10.0),
      "with --post: seconds to connect")("timeout",
                                         po::value(&opt->post.timeout_s)->default_value(30.0),
                                         "with --post: seconds for each request")(
      "retries", po::value(&opt->post.retries)->default_value(3),
      "with --post: retries after a 5xx, 429 or connection error, with backoff (1 s, 2 s, "
      "4 s...); a 4xx is not retried")("jira-project", po::value(&opt->report.jira_project),
                                       "with --format jira: the project key")(
      "jira-issue-type", po::value(&opt->report.jira_issue_type)->default_value("Task"),
      "with --format jira: the issue type name")(
      "ticket-label", po::value(&opt->report.labels)->composing(),
      "with --format github or jira: a label to add (besides 'etiolog' and the cause); "
      "repeatable");
}

// Parses what AddOutputOptions read. Returns -1 to go on, or kExitUsage
// after printing the error.
int FinishOutputOptions(const char* command, const OutputArgs& args, const po::variables_map& vm,
                        etiolog::analyzer::OutputOptions* opt) {
  // Without --format: text for a terminal, notes for a ticket directory,
  // the JSON report for an endpoint.
  std::string name = args.format;
  if (vm["format"].defaulted()) {
    if (!opt->to_dir.empty()) name = "markdown";
    if (!opt->post.url.empty()) name = "json";
  }
  etiolog::Result<etiolog::analyzer::ReportFormat> format =
      etiolog::analyzer::ParseReportFormat(name);
  if (!format.ok()) {
    std::cerr << "etiolog " << command << ": " << format.status().message() << "\n";
    return kExitUsage;
  }
  opt->report.format = *format;
  etiolog::Result<std::vector<std::string>> headers =
      etiolog::analyzer::ExpandHeaderArgs(args.headers);
  if (!headers.ok()) {
    std::cerr << "etiolog " << command << ": " << headers.status().message() << "\n";
    return kExitUsage;
  }
  opt->post.headers = std::move(headers).value();
  etiolog::Status st = etiolog::analyzer::CheckOutputOptions(*opt);
  if (!st.ok()) {
    std::cerr << "etiolog " << command << ": " << st.message() << "\n";
    return kExitUsage;
  }
  return -1;
}

// The options of the commands that read logs (analyze, events): inputs,
// rule packs, time zone and parallelism. Options is AnalyzeOptions or
// EventsOptions, which name these fields alike.
template <typename Options>
void AddInputOptions(po::options_description* desc, Options* opt, std::string* timezone,
                     std::vector<std::string>* labels) {
  desc->add_options()("rules,r", po::value(&opt->rule_files)->composing(),
                      "load an extra rule pack (YAML file or directory); repeatable")(
      "no-builtin-rules", po::bool_switch(), "do not load the built-in packs")(
      "no-default-rules", po::bool_switch(),
      "do not load the packs in /etc/etiolog/rules.d and $XDG_CONFIG_HOME/etiolog/rules.d "
      "(default ~/.config/etiolog/rules.d)")(
      "timezone", po::value(timezone)->default_value("UTC"),
      "zone of log times printed without one: +HH:MM, UTC or an IANA name such as "
      "Europe/Berlin")("include", po::value(&opt->enumerate.include)->composing(),
                       "in directories, read only files matching this glob (on the file name, "
                       "or on the relative path if it has a '/'); repeatable")(
      "exclude", po::value(&opt->enumerate.exclude)->composing(),
      "in directories, skip files matching this glob; repeatable")(
      "label", po::value(labels)->composing(),
      "KEY=VALUE for the PATH that follows (component, host or pid), overriding what the "
      "logs say; repeatable")("jobs,j", po::value(&opt->ingest.jobs)->default_value(0),
                              "inputs read in parallel (0: one per CPU)");
}

// Parses args for a command that reads logs. Returns -1 to go on, or the
// exit code to stop with (0 after --help, kExitUsage after an error, which
// it prints).
template <typename Options>
int ParseInputCommand(const char* command, const std::vector<std::string>& args,
                      const po::options_description& desc, const std::string& timezone,
                      Options* opt, po::variables_map* vm) {
  po::options_description hidden;
  hidden.add_options()("path", po::value(&opt->paths)->composing(), "input");
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("path", -1);
  po::parsed_options parsed = po::command_line_parser(args).options(all).positional(pos).run();
  po::store(parsed, *vm);
  // --label applies to the PATH that follows it: read them in order.
  std::vector<etiolog::ProcessIdentity> path_labels;
  etiolog::ProcessIdentity pending;
  bool have_pending = false;
  for (const po::option& o : parsed.options) {
    if (o.string_key == "label") {
      for (const std::string& v : o.value) {
        etiolog::Status st = etiolog::ingest::ParseLabel(v, &pending);
        if (!st.ok()) {
          std::cerr << "etiolog " << command << ": " << st.message() << "\n";
          return kExitUsage;
        }
        have_pending = true;
      }
    } else if (o.string_key == "path") {
      for (size_t k = 0; k < o.value.size(); ++k) {
        path_labels.push_back(pending);
        pending = etiolog::ProcessIdentity();
        have_pending = false;
      }
    }
  }
  if (have_pending) {
    std::cerr << "etiolog " << command << ": --label must come before the PATH it labels\n";
    return kExitUsage;
  }
  if (vm->count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  po::notify(*vm);
  opt->builtin_rules = !(*vm)["no-builtin-rules"].as<bool>();
  opt->default_rules = !(*vm)["no-default-rules"].as<bool>();
  opt->labels = std::move(path_labels);
  if (opt->paths.empty()) {
    std::cerr << "etiolog " << command << ": no PATH given\n\n" << desc << "\n";
    return kExitUsage;
  }
  etiolog::Result<etiolog::TimeZone> zone = etiolog::TimeZone::Parse(timezone);
  if (!zone.ok()) {
    std::cerr << "etiolog " << command << ": --timezone: " << zone.status().message() << "\n";
    return kExitUsage;
  }
  opt->ingest.decoder.zone = std::make_shared<const etiolog::TimeZone>(std::move(zone).value());
  if (opt->ingest.jobs < 0) {
    std::cerr << "etiolog " << command << ": --jobs must be 0 or more\n";
    return kExitUsage;
  }
  return -1;
}

int Analyze(const std::vector<std::string>& args) {
  etiolog::analyzer::AnalyzeOptions opt;
  std::string timezone = "UTC";
  std::vector<std::string> labels;
  po::options_description desc(
      "Usage: etiolog analyze [options] PATH...\n"
      "\n"
      "Reads Airflow logs (files, directories searched recursively, '-' for standard\n"
      "input; gzip, zstd, bzip2, xz, tar and zip recognised by content), finds the\n"
      "events that matter with the rule packs, correlates them in a SQLite store and\n"
      "prints the likely causes of JWT signature failures, with evidence and fix.\n"
      "\n"
      "Options");
  OutputArgs output;
  desc.add_options()("help,h", "show this help")(
      "db", po::value(&opt.db_path),
      "keep the event store in this SQLite file (default: a temporary store)")(
      "min-confidence", po::value(&opt.min_confidence)->default_value(0.0),
      "hide findings below this confidence (0 to 1)")(
      "fail-on-finding", po::bool_switch(&opt.fail_on_finding),
      "exit 1 when any finding is reported (risks alone do not count)")(
      "explain", po::bool_switch(&opt.explain),
      "with each finding, the other causes considered: what they found, why they lost, and "
      "what would change the verdict")(
      "timings", po::bool_switch(&opt.timings),
      "print on stderr how long each stage took (ingest, timeline, diagnosis, report)")(
      "query-step-limit", po::value(&opt.query_step_limit),
      ("the most SQLite steps one query of a cause may run before the cause is skipped with "
       "an error (default: " +
       std::to_string(etiolog::db::Store::kDefaultQueryStepLimit) + ", about 10 s)")
          .c_str());
  AddOutputOptions(&desc, &opt.output, &output);
  AddInputOptions(&desc, &opt, &timezone, &labels);
  po::variables_map vm;
  if (int rc = ParseInputCommand("analyze", args, desc, timezone, &opt, &vm); rc >= 0) return rc;
  if (int rc = FinishOutputOptions("analyze", output, vm, &opt.output); rc >= 0) return rc;
  if (opt.min_confidence < 0 || opt.min_confidence > 1) {
    std::cerr << "etiolog analyze: --min-confidence must be between 0 and 1\n";
    return kExitUsage;
  }
  return etiolog::analyzer::RunAnalyze(opt, std::cout, std::cerr);
}

int Report(const std::vector<std::string>& args) {
  etiolog::analyzer::ReportCommandOptions opt;
  OutputArgs output;
  po::options_description desc(
      "Usage: etiolog report --db STORE [options]\n"
      "\n"
      "Renders again the findings that the last 'etiolog analyze --db STORE' saved,\n"
      "without reading the logs: in another format, into a ticket directory (one\n"
      "file per finding, updated in place on reruns) or to an HTTP endpoint (one\n"
      "POST per finding, e.g. a tracker's create-issue API). Secrets stay redacted.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")("db", po::value(&opt.db_path),
                                                 "the store written by analyze --db (required)")(
      "min-confidence", po::value(&opt.min_confidence)->default_value(0.0),
      "hide findings below this confidence (0 to 1)")(
      "explain", po::bool_switch(&opt.explain),
      "with each finding, the other causes considered (the packs' causes run again on the "
      "stored events)");
  AddOutputOptions(&desc, &opt.output, &output);
  desc.add_options()("rules,r", po::value(&opt.rule_files)->composing(),
                     "load an extra rule pack, for its redact patterns; repeatable")(
      "no-builtin-rules", po::bool_switch(), "do not load the built-in packs")(
      "no-default-rules", po::bool_switch(),
      "do not load the packs in /etc/etiolog/rules.d and $XDG_CONFIG_HOME/etiolog/rules.d");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  po::notify(vm);
  opt.builtin_rules = !vm["no-builtin-rules"].as<bool>();
  opt.default_rules = !vm["no-default-rules"].as<bool>();
  if (opt.db_path.empty()) {
    std::cerr << "etiolog report: --db STORE is required\n\n" << desc << "\n";
    return kExitUsage;
  }
  if (opt.min_confidence < 0 || opt.min_confidence > 1) {
    std::cerr << "etiolog report: --min-confidence must be between 0 and 1\n";
    return kExitUsage;
  }
  if (int rc = FinishOutputOptions("report", output, vm, &opt.output); rc >= 0) return rc;
  return etiolog::analyzer::RunReport(opt, std::cout, std::cerr);
}

int Tail(const std::vector<std::string>& args) {
  etiolog::analyzer::TailOptions opt;
  std::string timezone = "UTC";
  std::vector<std::string> labels;
  std::string poll = "250ms", debounce = "2s", max_delay = "5s", partial = "5s", rotate = "5s",
              exit_after, exit_idle;
  po::options_description desc(
      "Usage: etiolog tail [options] PATH|GLOB|DIR|-...\n"
      "\n"
      "Follows log files as they grow, like 'tail -F': across rotation (rename or\n"
      "copytruncate), deletion and re-creation, and picks up new files matching a\n"
      "glob ('/var/log/airflow/*.log', quoted) or appearing in a directory. Lines go\n"
      "through the same rules and store as 'analyze'; a few seconds after new events\n"
      "(--debounce, or --max-delay while they keep coming) the diagnosis runs again and\n"
      "findings that are new or changed are\n"
      "printed: --format text (default) or jsonl (one JSON finding per line), or sent\n"
      "with --to / --post. Without --db, files present at start are followed from their\n"
      "end (--from-start reads them first); with --db, a later run resumes where this\n"
      "one stopped. '-' reads standard input as it comes ('kubectl logs -f ... |\n"
      "etiolog tail -'), and its end ends the run. Stops on SIGINT/SIGTERM (exit 0),\n"
      "or with --exit-after / --exit-when-idle. See docs/tail.md.\n"
      "\n"
      "Options");
  OutputArgs output;
  desc.add_options()("help,h", "show this help")(
      "db", po::value(&opt.db_path),
      "keep the event store and the followed files' checkpoints in this SQLite file; "
      "a later run resumes from them (default: a temporary store)")(
      "from-start", po::bool_switch(&opt.from_start),
      "read files present at start from their beginning (default: from their end, unless "
      "--db knows them)")("poll", po::bool_switch(&opt.poll),
                          "poll files instead of being woken by inotify (network file "
                          "systems; chosen by itself where inotify fails)")(
      "poll-interval", po::value(&poll)->default_value("250ms"),
      "how often files are checked for growth when polling, and while a file waits "
      "for --rotate-wait or --partial-line-timeout")(
      "debounce", po::value(&debounce)->default_value("2s"),
      "diagnose once no new event arrived for this long (and at most once per this long)")(
      "max-delay", po::value(&max_delay)->default_value("5s"),
      "diagnose anyway once the first undiagnosed event is this old, so findings are "
      "printed during a storm that never goes quiet (0: wait for --debounce)")(
      "partial-line-timeout", po::value(&partial)->default_value("5s"),
      "take a last line without newline as complete after its file was idle this long")(
      "rotate-wait", po::value(&rotate)->default_value("5s"),
      "keep reading a renamed or deleted file until it was idle this long")(
      "status-file", po::value(&opt.status_file),
      "keep a JSON status file here (what is followed, how far behind, last events and "
      "diagnosis), rewritten at least every 5 s; 'etiolog status FILE' checks it")(
      "exit-after", po::value(&exit_after), "stop after this long")(
      "exit-when-idle", po::value(&exit_idle),
      "stop once nothing new was read for this long (after a last diagnosis)")(
      "min-confidence", po::value(&opt.min_confidence)->default_value(0.0),
      "hide findings below this confidence (0 to 1)");
  AddOutputOptions(&desc, &opt.output, &output);
  AddInputOptions(&desc, &opt, &timezone, &labels);
  po::variables_map vm;
  if (int rc = ParseInputCommand("tail", args, desc, timezone, &opt, &vm); rc >= 0) return rc;
  if (output.format == "jsonl") {
    if (!opt.output.to_dir.empty() || !opt.output.post.url.empty()) {
      std::cerr << "etiolog tail: --format jsonl is for stdout; with --to or --post use json\n";
      return kExitUsage;
    }
    opt.jsonl = true;
    output.format = "json";
  }
  if (int rc = FinishOutputOptions("tail", output, vm, &opt.output); rc >= 0) return rc;
  if (opt.min_confidence < 0 || opt.min_confidence > 1) {
    std::cerr << "etiolog tail: --min-confidence must be between 0 and 1\n";
    return kExitUsage;
  }
  struct Duration {
    const char* option;
    const std::string* text;
    int64_t* ms;
  };
  const Duration durations[] = {{"--poll-interval", &poll, &opt.poll_interval_ms},
                                {"--debounce", &debounce, &opt.debounce_ms},
                                {"--max-delay", &max_delay, &opt.max_delay_ms},
                                {"--partial-line-timeout", &partial, &opt.partial_line_ms},
                                {"--rotate-wait", &rotate, &opt.rotate_wait_ms},
                                {"--exit-after", &exit_after, &opt.exit_after_ms},
                                {"--exit-when-idle", &exit_idle, &opt.exit_when_idle_ms}};
  for (const Duration& d : durations) {
    if (d.text->empty()) continue;
    etiolog::Result<int64_t> ms = etiolog::analyzer::ParseDuration(*d.text);
    if (!ms.ok()) {
      std::cerr << "etiolog tail: " << d.option << ": " << ms.status().message() << "\n";
      return kExitUsage;
    }
    *d.ms = *ms;
  }
  if (opt.poll_interval_ms < 1) {
    std::cerr << "etiolog tail: --poll-interval must be at least 1ms\n";
    return kExitUsage;
  }
  return etiolog::analyzer::TailExitCode(etiolog::analyzer::RunTail(opt, std::cout, std::cerr));
}

int Events(const std::vector<std::string>& args) {
  etiolog::analyzer::EventsOptions opt;
  std::string timezone = "UTC";
  std::vector<std::string> labels;
  po::options_description desc(
      "Usage: etiolog events [options] PATH...\n"
      "\n"
      "Prints every event the rule packs find in the logs, one per line: time,\n"
      "process, kind, rule, path:line and the (redacted) line. This is what\n"
      "'analyze' works from. Inputs are given as for 'analyze'.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "format,f", po::value(&opt.format)->default_value("text"),
      "output format: text, or jsonl (one JSON object per event)");
  AddInputOptions(&desc, &opt, &timezone, &labels);
  po::variables_map vm;
  if (int rc = ParseInputCommand("events", args, desc, timezone, &opt, &vm); rc >= 0) return rc;
  if (opt.format != "text" && opt.format != "jsonl") {
    std::cerr << "etiolog events: --format must be text or jsonl, not '" << opt.format << "'\n";
    return kExitUsage;
  }
  return etiolog::analyzer::RunEvents(opt, std::cout, std::cerr);
}

// Parses args against desc plus at most one positional argument (named
// name in errors) into *value. Returns true if it printed the help instead
// (the command then exits 0). Throws po::error on a bad command line.
bool ParseWithOneArgument(const std::vector<std::string>& args, const po::options_description& desc,
                          const char* name, std::string* value, po::variables_map* vm) {
  po::options_description hidden;
  hidden.add_options()(name, po::value(value), name);
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add(name, 1);
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), *vm);
  if (vm->count("help")) {
    std::cout << desc << "\n";
    return true;
  }
  po::notify(*vm);
  return false;
}

int Status(const std::vector<std::string>& args) {
  std::string file, max_age = "30s";
  po::options_description desc(
      "Usage: etiolog status [options] FILE\n"
      "\n"
      "Reads the status file of 'etiolog tail --status-file FILE' and says what it\n"
      "follows, how far behind it is and when it last diagnosed. Exit 0 if it is\n"
      "following and the file was updated within --max-age, 1 if it stopped or the\n"
      "file is older (a stuck or dead tail), 4 if the file cannot be read. Use it as\n"
      "a liveness probe or a monitoring check. See docs/tail.md.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "max-age", po::value(&max_age)->default_value("30s"),
      "the oldest update that counts as alive (tail rewrites the file at least every 5 s)");
  po::variables_map vm;
  if (ParseWithOneArgument(args, desc, "file", &file, &vm)) return 0;
  if (file.empty()) {
    std::cerr << "etiolog status: which status file? (etiolog status FILE)\n";
    return kExitUsage;
  }
  etiolog::Result<int64_t> ms = etiolog::analyzer::ParseDuration(max_age);
  if (!ms.ok()) {
    std::cerr << "etiolog status: --max-age: " << ms.status().message() << "\n";
    return kExitUsage;
  }
  return etiolog::analyzer::StatusExitCode(
      etiolog::analyzer::RunStatus(file, *ms, std::cout, std::cerr));
}

int Explain(const std::vector<std::string>& args) {
  etiolog::analyzer::ExplainOptions opt;
  po::options_description desc(
      "Usage: etiolog explain [options] [CAUSE]\n"
      "\n"
      "Prints what a cause (or risk) of the loaded packs means, the evidence it looks\n"
      "for and what argues against it, what to collect when the logs do not settle it,\n"
      "and its fix. Without CAUSE, lists every cause and risk. An unknown CAUSE exits 2\n"
      "and names the closest known ones.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "deployment", po::value(&opt.deployment)->default_value("default"),
      "the fix to show: default, docker-compose, kubernetes or systemd (as the pack names "
      "them)")("rules,r", po::value(&opt.rule_files)->composing(),
               "load an extra rule pack (YAML file or directory); repeatable")(
      "no-builtin-rules", po::bool_switch(), "do not load the built-in packs")(
      "no-default-rules", po::bool_switch(),
      "do not load the packs in /etc/etiolog/rules.d and $XDG_CONFIG_HOME/etiolog/rules.d");
  po::variables_map vm;
  if (ParseWithOneArgument(args, desc, "cause", &opt.cause, &vm)) return 0;
  opt.builtin_rules = !vm["no-builtin-rules"].as<bool>();
  opt.default_rules = !vm["no-default-rules"].as<bool>();
  return etiolog::analyzer::RunExplain(opt, std::cout, std::cerr);
}

int Rules(const std::vector<std::string>& args) {
  etiolog::analyzer::RulesOptions opt;
  po::options_description desc(
      "Usage: etiolog rules test|lint|list [options] [PACK...]\n"
      "\n"
      "  test  run every example and counter-example of every rule, and every example log\n"
      "        of every cause through the whole pipeline; exit 1 on a failure\n"
      "  lint  warn about rules that load but cost speed or miss lines, and causes whose SQL\n"
      "        does not prepare or that name unknown causes; exit 1 on a warning or error\n"
      "  list  print each rule's id, kind, surface and source\n"
      "\n"
      "PACK is a pack file or a directory of them; its rules may use the kinds and\n"
      "surfaces the built-in packs declare. Without PACK, the built-in packs and the\n"
      "standard rule directories are used. A pack that fails to load exits 2 with\n"
      "file:line:column and what is wrong.\n"
      "\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "literals", po::bool_switch(&opt.literals),
      "list: also show the literals the prefilter scans for, per pattern")(
      "no-builtin-rules", po::bool_switch(),
      "do not load the built-in packs (with PACK: nor their kinds and surfaces)")(
      "no-default-rules", po::bool_switch(),
      "without PACK: do not load the packs in /etc/etiolog/rules.d and "
      "$XDG_CONFIG_HOME/etiolog/rules.d (default ~/.config/etiolog/rules.d)");
  po::options_description hidden;
  hidden.add_options()("action", po::value(&opt.action), "action")(
      "pack", po::value(&opt.packs)->composing(), "pack");
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("action", 1).add("pack", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  po::notify(vm);
  opt.builtin_rules = !vm["no-builtin-rules"].as<bool>();
  opt.default_rules = !vm["no-default-rules"].as<bool>();
  if (opt.action != "test" && opt.action != "lint" && opt.action != "list") {
    std::cerr << "etiolog rules: "
              << (opt.action.empty() ? "no action given" : "unknown action '" + opt.action + "'")
              << " (test, lint or list)\n\n"
              << desc << "\n";
    return kExitUsage;
  }
  return etiolog::analyzer::RunRules(opt, std::cout, std::cerr);
}

// main() without the last-resort handler.
int Main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "--help" || command == "-h" || command == "help") {
      std::cout << kUsage;
      return 0;
    }
    if (command == "--version") {
      std::cout << "etiolog " << ETIOLOG_VERSION << "\n";
      return 0;
    }
    if (command == "analyze") return Analyze(args);
    if (command == "report") return Report(args);
    if (command == "events") return Events(args);
    if (command == "explain") return Explain(args);
    if (command == "tail") return Tail(args);
    if (command == "status") return Status(args);
    if (command == "rules") return Rules(args);
    std::cerr << "etiolog: unknown command '" << command << "'\n\n" << kUsage;
    return kExitUsage;
  } catch (const po::error& e) {
    std::cerr << "etiolog " << command << ": " << e.what() << "\n"
              << "Run 'etiolog " << command << " --help' for usage.\n";
    return kExitUsage;
  }
}

}  // namespace

// Commands report failures as a Status and exit codes; what still escapes
// (std::bad_alloc, a std::system_error from starting a thread) is reported
// here and exits 4 rather than reaching std::terminate and aborting. fprintf,
// not std::cerr: the handler must not throw in turn.
int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "etiolog: fatal: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "etiolog: fatal: unknown exception\n");
  }
  return kExitFatal;
}
