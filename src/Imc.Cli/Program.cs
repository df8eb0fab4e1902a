// The CLI opts into the allocator tuning (IMC_MALLOC_TUNING=0 declines it): chunked simulation runs at memory speed.
ImcSharp.NativeRuntime.TuneAllocator();
return ImcSharp.Cli.CliApp.Run(args);
