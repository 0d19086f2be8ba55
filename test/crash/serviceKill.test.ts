/** The crash matrix (crashMatrix.ts), the service process SIGKILLed at each phase. */
import { crashMatrix } from "./crashMatrix";

crashMatrix("service");
