/* SPDX-License-Identifier: MIT */
/* vigil: the host command. Each subcommand lives in cmd_*.c; see docs/cli.md. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *what;
} commands[] = {
    {"simulate", vgh_cmd_simulate, "write a synthetic labelled sensor recording"},
    {"train", vgh_cmd_train, "learn a detector from normal data into a model artifact"},
    {"detect", vgh_cmd_detect, "stream a recording through a model, row by row"},
    {"eval", vgh_cmd_eval, "score a model on labelled data; metrics and plots"},
    {"quantize", vgh_cmd_quantize, "turn a float model into an int8 one; agreement and F1"},
    {"export", vgh_cmd_export, "write a model as a C header for firmware"},
    {"info", vgh_cmd_info, "describe a model and the memory a device needs for it"},
    {"features", vgh_cmd_features, "write the feature matrix a model sees"},
    {"device", vgh_cmd_device, "run a simulated device that publishes to an MQTT broker"},
    {"collector", vgh_cmd_collector, "store the fleet's MQTT messages; HTTP API and live updates"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: vigil COMMAND [options]   (vigil COMMAND --help for each)\n\n"
               "Anomaly detection for sensor streams, from training to microcontroller.\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "\nExit status: 0 ok, 1 bad input data or model, 2 bad usage, 3 system error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return VGH_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return VGH_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("vigil %s\n", VIGIL_VERSION);
        return VGH_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "vigil: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return VGH_EXIT_USAGE;
}
