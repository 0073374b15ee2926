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
    "\n"
    "Run 'etiolog <command> --help' for the options of a command.\n"
    "Exit codes: 0 done, 1 finding (with --fail-on-finding), 2 usage error,\n"
    "3 some inputs unreadable (rest analysed), 4 fatal.\n";

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
      "rules,r", po::value(&opt.rule_files)->composing(),
      "load an extra rule pack (YAML); repeatable")("no-builtin-rules", po::bool_switch(),
                                                    "do not load the built-in packs")(
      "db", po::value(&opt.db_path),
      "keep the event store in this SQLite file (default: a temporary store)")(
      "timezone", po::value(&timezone)->default_value("UTC"),
      "zone of log times printed without one: +HH:MM, UTC or an IANA name such as "
      "Europe/Berlin")("include", po::value(&opt.enumerate.include)->composing(),
                       "in directories, read only files matching this glob (on the file name, "
                       "or on the relative path if it has a '/'); repeatable")(
      "exclude", po::value(&opt.enumerate.exclude)->composing(),
      "in directories, skip files matching this glob; repeatable")(
      "label", po::value(&labels)->composing(),
      "KEY=VALUE for the PATH that follows (component, host or pid), overriding what the "
      "logs say; repeatable")("jobs,j", po::value(&opt.ingest.jobs)->default_value(0),
                              "inputs read in parallel (0: one per CPU)")(
      "min-confidence", po::value(&opt.min_confidence)->default_value(0.0),
      "hide findings below this confidence (0 to 1)")("fail-on-finding",
                                                      po::bool_switch(&opt.fail_on_finding),
                                                      "exit 1 when any finding is reported");
  po::options_description hidden;
  hidden.add_options()("path", po::value(&opt.paths)->composing(), "input");
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("path", -1);
  po::variables_map vm;
  po::parsed_options parsed = po::command_line_parser(args).options(all).positional(pos).run();
  po::store(parsed, vm);
  // --label applies to the PATH that follows it: read them in order.
  std::vector<etiolog::ProcessIdentity> path_labels;
  etiolog::ProcessIdentity pending;
  bool have_pending = false;
  for (const po::option& o : parsed.options) {
    if (o.string_key == "label") {
      for (const std::string& v : o.value) {
        etiolog::Status st = etiolog::ingest::ParseLabel(v, &pending);
        if (!st.ok()) {
          std::cerr << "etiolog analyze: " << st.message() << "\n";
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
    std::cerr << "etiolog analyze: --label must come before the PATH it labels\n";
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  po::notify(vm);
  opt.builtin_rules = !vm["no-builtin-rules"].as<bool>();
  opt.labels = std::move(path_labels);
  if (opt.paths.empty()) {
    std::cerr << "etiolog analyze: no PATH given\n\n" << desc << "\n";
    return kExitUsage;
  }
  if (opt.format != "text" && opt.format != "json") {
    std::cerr << "etiolog analyze: --format must be text or json, not '" << opt.format << "'\n";
    return kExitUsage;
  }
  etiolog::Result<etiolog::TimeZone> zone = etiolog::TimeZone::Parse(timezone);
  if (!zone.ok()) {
    std::cerr << "etiolog analyze: --timezone: " << zone.status().message() << "\n";
    return kExitUsage;
  }
  opt.ingest.decoder.zone = std::make_shared<const etiolog::TimeZone>(std::move(zone).value());
  if (opt.ingest.jobs < 0) {
    std::cerr << "etiolog analyze: --jobs must be 0 or more\n";
    return kExitUsage;
  }
  if (opt.min_confidence < 0 || opt.min_confidence > 1) {
    std::cerr << "etiolog analyze: --min-confidence must be between 0 and 1\n";
    return kExitUsage;
  }
  return etiolog::analyzer::RunAnalyze(opt, std::cout, std::cerr);
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
    std::cerr << "etiolog: unknown command '" << command << "'\n\n" << kUsage;
    return kExitUsage;
  } catch (const po::error& e) {
    std::cerr << "etiolog " << command << ": " << e.what() << "\n"
              << "Run 'etiolog " << command << " --help' for usage.\n";
    return kExitUsage;
  }
}
