using DslUnlearn.Cli;

return Commands.Build().Parse(args).Invoke();
