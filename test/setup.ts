// tsyringe throws at import without reflect-metadata.
import 'reflect-metadata';
