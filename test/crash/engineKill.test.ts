/** The crash matrix (crashMatrix.ts), the engine (the `pulumi` CLI running the step, or the engine host) SIGKILLed at each phase. */
import { crashMatrix } from "./crashMatrix";

crashMatrix("engine");
