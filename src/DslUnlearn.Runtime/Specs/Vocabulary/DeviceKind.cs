namespace DslUnlearn.Specs.Vocabulary;

public enum DeviceKind { Auto, Cpu, Cuda }
