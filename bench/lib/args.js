'use strict';
// Command-line reading shared by the benchmark scripts.

/**
 * Calls handle(arg, next) for every argument; next() takes the argument's value (or throws "<arg> needs a value").
 * handle returns false for an argument it does not know: that throws "unknown argument <arg>".
 */
function eachArg(argv, handle) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (handle(a, next) === false) throw new Error(`unknown argument ${a}`);
  }
}

module.exports = { eachArg };
