// The subcommands of the `strata` program. Each takes the arguments after its name and returns
// the process exit code; errors are thrown as strata::Error and reported by main.
#pragma once

#include <string>
#include <vector>

namespace strata::cli {

using Args = std::vector<std::string>;

int run_train(const Args& args);       // cli/cmd_train.cpp
int run_bench(const Args& args);       // cli/cmd_bench.cpp
int run_info(const Args& args);        // cli/cmd_info.cpp
int run_config_doc(const Args& args);  // cli/cmd_config_doc.cpp
int run_data(const Args& args);        // cli/cmd_data.cpp
int run_encode(const Args& args);      // cli/cmd_encode.cpp
int run_sample(const Args& args);      // cli/cmd_sample.cpp
int run_eval(const Args& args);        // cli/cmd_eval.cpp
int run_plot(const Args& args);        // cli/cmd_plot.cpp
int run_scale(const Args& args);       // cli/cmd_scale.cpp
int run_export(const Args& args);      // cli/cmd_export.cpp

}  // namespace strata::cli
