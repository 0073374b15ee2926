// SPDX-License-Identifier: Apache-2.0
//
// The etiolog command line. Parses options with Boost.Program_options (its
// exceptions are caught here and only here: usage errors exit 2) and hands
// over to analyzer/commands.h.

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "analyzer/commands.h"
#include "ingest/input_set.h"
#include "ingest/time_zone.h"

namespace po = boost::program_options;
using etiolog::analyzer::kExitUsage;

namespace {

const char kUsage[] =
    "etiolog: finds why Airflow JWT tokens fail, from the logs.\n"
    "\n"
    "Usage: etiolog <command> [options]\n"
    "\n"
    "Commands:\n"
    "  analyze PATH...   read log files or directories, print the diagnosis\n"
    "  events PATH...    print every event the rules find, one per line\n"
    "  rules test|lint|list [PACK...]\n"
    "                    check rule packs: run their examples, lint them, list rules\n"
    "\n"
    "Run 'etiolog <command> --help' for the options of a command.\n"
    "Exit codes: 0 done, 1 finding (with --fail-on-finding), 2 usage error,\n"
    "3 some inputs unreadable (rest analysed), 4 fatal.\n";

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
  desc.add_options()("help,h", "show this help")(
      "format,f", po::value(&opt.format)->default_value("text"), "output format: text or json")(
      "db", po::value(&opt.db_path),
      "keep the event store in this SQLite file (default: a temporary store)")(
      "min-confidence", po::value(&opt.min_confidence)->default_value(0.0),
      "hide findings below this confidence (0 to 1)")("fail-on-finding",
                                                      po::bool_switch(&opt.fail_on_finding),
                                                      "exit 1 when any finding is reported");
  AddInputOptions(&desc, &opt, &timezone, &labels);
  po::variables_map vm;
  if (int rc = ParseInputCommand("analyze", args, desc, timezone, &opt, &vm); rc >= 0) return rc;
  if (opt.format != "text" && opt.format != "json") {
    std::cerr << "etiolog analyze: --format must be text or json, not '" << opt.format << "'\n";
    return kExitUsage;
  }
  if (opt.min_confidence < 0 || opt.min_confidence > 1) {
    std::cerr << "etiolog analyze: --min-confidence must be between 0 and 1\n";
    return kExitUsage;
  }
  return etiolog::analyzer::RunAnalyze(opt, std::cout, std::cerr);
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

int Rules(const std::vector<std::string>& args) {
  etiolog::analyzer::RulesOptions opt;
  po::options_description desc(
      "Usage: etiolog rules test|lint|list [options] [PACK...]\n"
      "\n"
      "  test  run every example and counter-example of every rule; exit 1 on a failure\n"
      "  lint  warn about rules that load but cost speed or miss lines; exit 1 on a warning\n"
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

}  // namespace

int main(int argc, char** argv) {
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
    if (command == "events") return Events(args);
    if (command == "rules") return Rules(args);
    std::cerr << "etiolog: unknown command '" << command << "'\n\n" << kUsage;
    return kExitUsage;
  } catch (const po::error& e) {
    std::cerr << "etiolog " << command << ": " << e.what() << "\n"
              << "Run 'etiolog " << command << " --help' for usage.\n";
    return kExitUsage;
  }
}
