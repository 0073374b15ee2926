// SPDX-License-Identifier: Apache-2.0
//
// The etiolog command line. Parses options with Boost.Program_options (its
// exceptions are caught here and only here: usage errors exit 2) and hands
// over to analyzer/commands.h.

#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "analyzer/commands.h"

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

// Parses "+02:00", "-0530", "UTC", "Z" into minutes east of UTC.
bool ParseOffset(const std::string& s, int* minutes) {
  if (s == "UTC" || s == "Z" || s == "utc") {
    *minutes = 0;
    return true;
  }
  if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return false;
  std::string digits;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] == ':') continue;
    if (s[i] < '0' || s[i] > '9') return false;
    digits.push_back(s[i]);
  }
  if (digits.size() != 2 && digits.size() != 4) return false;
  int h = std::stoi(digits.substr(0, 2));
  int m = digits.size() == 4 ? std::stoi(digits.substr(2)) : 0;
  if (h > 18 || m > 59) return false;
  *minutes = (h * 60 + m) * (s[0] == '-' ? -1 : 1);
  return true;
}

int Analyze(const std::vector<std::string>& args) {
  etiolog::analyzer::AnalyzeOptions opt;
  std::string timezone = "UTC";
  po::options_description desc(
      "Usage: etiolog analyze [options] PATH...\n"
      "\n"
      "Reads Airflow logs (files, or directories searched recursively), finds the\n"
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
      "zone of log times printed without one, as +HH:MM or UTC")(
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
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  po::notify(vm);
  opt.builtin_rules = !vm["no-builtin-rules"].as<bool>();
  if (opt.paths.empty()) {
    std::cerr << "etiolog analyze: no PATH given\n\n" << desc << "\n";
    return kExitUsage;
  }
  if (opt.format != "text" && opt.format != "json") {
    std::cerr << "etiolog analyze: --format must be text or json, not '" << opt.format << "'\n";
    return kExitUsage;
  }
  if (!ParseOffset(timezone, &opt.ingest.decoder.local_offset_minutes)) {
    std::cerr << "etiolog analyze: --timezone must be like +02:00, -0530 or UTC, not '" << timezone
              << "'\n";
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
