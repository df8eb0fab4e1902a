return ImcSharp.Cli.CliApp.Run(args);
