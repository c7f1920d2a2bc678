from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    dependencies = [
        ("archive", "0002_retention_holds_search"),
        ("organisations", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SubjectRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('access', 'Access (export everything held)'), ('erasure', 'Erasure')], max_length=10, verbose_name='kind')),
                ('status', models.CharField(choices=[('received', 'Received'), ('in_progress', 'Export being built'), ('completed', 'Completed'), ('failed', 'Failed')], default='received', max_length=12, verbose_name='status')),
                ('reference', models.CharField(max_length=200, verbose_name='reference')),
                ('tracking_numbers', models.JSONField(blank=True, default=list)),
                ('handles', models.JSONField(blank=True, default=list)),
                ('email', models.CharField(blank=True, max_length=254, verbose_name='email address')),
                ('phone', models.CharField(blank=True, max_length=40, verbose_name='phone number')),
                ('legal_basis', models.CharField(blank=True, choices=[('public_records', 'Public-records obligation'), ('archiving', 'Archiving in the public interest'), ('legal_claims', 'Establishment, exercise or defence of legal claims'), ('legal_obligation', 'Another legal obligation')], max_length=20, verbose_name='legal basis for keeping archive records')),
                ('legal_basis_note', models.TextField(blank=True, max_length=2000, verbose_name='legal basis, details')),
                ('opened_at', models.DateTimeField(verbose_name='received')),
                ('due_at', models.DateTimeField(verbose_name='due')),
                ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='completed')),
                ('summary', models.JSONField(blank=True, default=dict)),
                ('export_name', models.CharField(blank=True, max_length=100)),
                ('export_sha256', models.CharField(blank=True, max_length=64)),
                ('failure', models.CharField(blank=True, max_length=500)),
                ('completed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('opened_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='organisations.organisation', verbose_name='organisation')),
            ],
            options={
                'verbose_name': 'data-subject request',
                'verbose_name_plural': 'data-subject requests',
                'ordering': ['-opened_at', '-id'],
            },
        ),
    ]
