/**
 * The provider plugins of the project's own that the programs use; the engine keeps servers of
 * them and puts their launchers on the engine's PATH. Loads no Pulumi SDK: the service reads it.
 */
import { localProviderPlugin } from "../components/local/provider";

export function ownPlugins(): { name: string; launcherDir: string; main: string; createsAdopt: boolean }[] {
  return [localProviderPlugin()];
}
