from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('agora', '0010_charged_units')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ResidentsMeeting',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('proposal', fields.OneToOneField('agora.Proposal', source_field='proposal_id', db_constraint=True, to_field='id', related_name='meeting', on_delete=OnDelete.CASCADE)),
                ('roll', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('residents', fields.IntField()),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('opened_by', fields.ForeignKeyField('agora.User', source_field='opened_by_id', null=True, db_constraint=True, to_field='id', related_name='meetings_opened', on_delete=OnDelete.SET_NULL)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_by', fields.ForeignKeyField('agora.User', source_field='closed_by_id', null=True, db_constraint=True, to_field='id', related_name='meetings_closed', on_delete=OnDelete.SET_NULL)),
                ('result', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'residents_meetings', 'app': 'agora', 'pk_attr': 'id', 'table_description': "A residents' meeting (居民会议) held on a proposal: its roll of residents frozen when it opened,"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MeetingAttendance',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meeting', fields.ForeignKeyField('agora.ResidentsMeeting', source_field='meeting_id', db_constraint=True, to_field='id', related_name='attendance', on_delete=OnDelete.CASCADE)),
                ('user_id', fields.IntField()),
                ('name', fields.CharField(max_length=120)),
                ('channel', fields.CharField(max_length=16)),
                ('witness', fields.CharField(default='', max_length=120)),
                ('entered_by_id', fields.IntField(null=True)),
                ('present_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('choice', fields.CharField(null=True, max_length=16)),
                ('vote_channel', fields.CharField(null=True, max_length=16)),
                ('vote_witness', fields.CharField(default='', max_length=120)),
                ('vote_entered_by_id', fields.IntField(null=True)),
                ('voted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'meeting_attendance', 'app': 'agora', 'unique_together': (('meeting', 'user_id'),), 'pk_attr': 'id', 'table_description': "A resident present at a residents' meeting (online, or in the room entered with a witness),"},
            bases=['Model'],
        ),
    ]
